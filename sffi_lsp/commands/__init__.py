"""`sffi-check` subcommands and run modes beyond checking (`rules`, `init`, fixes,
`--watch`, settings): each its own module, all adapters over `check`, `config`
and `output`, as `cli` is."""


class UsageError(Exception):
    """A bad command line or input: one line on stderr, exit 2."""
