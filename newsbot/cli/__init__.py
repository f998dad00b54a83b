"""The `newsbot` command (newsbot.cli.main): one module per subcommand, each with `add_parser` and
`run`: parse, demo, check, schema, state."""
