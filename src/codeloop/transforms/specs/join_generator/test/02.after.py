csv = "\n".join(",".join(row) for row in rows)
