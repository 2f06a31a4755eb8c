"""The embedded default: an in-process runner with local stores."""
