"""Adversarial verification: fuzzing, tenant isolation, authorizations, forms and sessions,
secrets, template injection, and load with faults (issue 8)."""
