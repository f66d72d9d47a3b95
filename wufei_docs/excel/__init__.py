"""Excel: reading an enterprise workbook into plain data, writing the workbook to fill in, deterministic .xlsx."""
