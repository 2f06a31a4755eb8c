"""The interpreter: a pure `advance()` over a cursor that returns actions."""
