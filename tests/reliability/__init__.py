"""Load and faults on loopback: forgot-password under load while the mail server is down,
then up, with the worker killed and restarted (`make reliability`)."""
