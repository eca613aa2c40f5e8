"""Pure domain logic: no UI, storage or network imports (checked by import-linter)."""
