"""`flask buurt neighbourhoods add|list|show|set`: thin shells over buurt.neighbourhoods.services (helper A)."""

from __future__ import annotations

import click

from buurt.cli import buurt_cli

neighbourhoods_cli = click.Group("neighbourhoods", help="Buurten van de gemeente: toevoegen, tonen, wijzigen.")
buurt_cli.add_command(neighbourhoods_cli)
