"""`flask buurt privacy-register`: the record of processing (docs/privacy.md) from the running config."""

from pathlib import Path

import click
from flask import current_app

from buurt.cli import buurt_cli


@buurt_cli.command("privacy-register")
@click.option("--defaults", is_flag=True, help="Met de standaardinstellingen (buurt/config.py), zoals docs/privacy.md.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Schrijf naar dit bestand.")
def privacy_register_command(defaults: bool, output: Path | None):
    """Schrijf het verwerkingsregister (AVG artikel 30) als Markdown, met de bewaartermijnen uit de instellingen."""
    from buurt.main.privacy_register import default_config, register_markdown

    text = register_markdown(default_config() if defaults else current_app.config)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Geschreven: {output}")
