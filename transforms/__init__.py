"""Pure transforms: frames in, frames out. No IO, no Prefect, no environment."""
