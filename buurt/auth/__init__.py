"""Accounts, login and the permission rules."""
