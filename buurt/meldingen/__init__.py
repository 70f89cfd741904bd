"""meldingen."""
