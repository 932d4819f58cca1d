"""``rankterm config``: where the config file is and what the effective settings are."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("config")
    def config_command(
        init: bool = typer.Option(False, "--init", help="Write a commented example config file."),
        path_only: bool = typer.Option(False, "--path", help="Print only the config file path."),
    ) -> None:
        """Show the config file path and the effective settings (the token is never shown)."""
        from rankterm.config import EXAMPLE_CONFIG, config_path, load_settings

        path = config_path()
        if path_only:
            typer.echo(str(path))
            return
        if init:
            if path.exists():
                typer.echo(f"{path} already exists; not overwriting it.", err=True)
                raise typer.Exit(1)
            from rankterm.config import config_dir
            from rankterm.private_files import private_dir, write_private

            # It may come to hold a token: 0600 in a 0700 folder.
            private_dir(path.parent, owned=config_dir())
            write_private(path, EXAMPLE_CONFIG.encode("utf-8"))
            typer.echo(f"wrote {path}")
            return
        settings = load_settings()
        typer.echo(f"# config file: {path}{'' if path.exists() else ' (not present)'}")
        from rankterm.sources.client import display_url

        for name, value in settings.model_dump(exclude={"token", "tags", "keys"}).items():
            if name == "server" and value:
                value = display_url(value)  # a password in the URL is never printed
            typer.echo(f"{name} = {value!r}")
        typer.echo(f"token = {'(set)' if settings.token else '(not set)'}")
        typer.echo("tags = " + ", ".join(f"{t.name} [{t.key}]" for t in settings.tags))
        for binding, key in settings.keys.items():
            typer.echo(f"keys.{binding} = {key!r}")
