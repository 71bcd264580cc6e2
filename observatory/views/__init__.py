"""Pure functions from the warehouse and a view state to what each card shows."""
