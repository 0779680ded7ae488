"""E-mail templates: types and their placeholders, built-in defaults, sandboxed rendering."""
