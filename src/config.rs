//! Configuration: flags, KINDLING_* environment variables and an optional YAML file.
