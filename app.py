"""WSGI entry point: `gunicorn app:app`, `flask --app app ...`."""

from buurt import create_app

app = create_app()
