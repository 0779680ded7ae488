"""The application processes that send e-mail. Each changes state and enqueues its e-mail in
one transaction; none talks to a mail server."""
