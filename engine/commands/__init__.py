"""Core CLI commands, one module each, imported only when the command is used."""
