"""Floor 3: the algebra users write (operators, composition, transposes, matrix, explain)."""
