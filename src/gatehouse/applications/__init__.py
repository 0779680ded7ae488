"""Applications: the built-in *User Profile* and the ones administrators add; each has the
template set its e-mails use and whether it asks for an e-mail code as second factor."""
