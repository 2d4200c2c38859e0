"""Pure models: frames in, frames out. No IO, no Prefect, no DuckDB, no environment."""
