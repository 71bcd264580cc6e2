"""From view models to figures, components and export files; never queries the database."""
