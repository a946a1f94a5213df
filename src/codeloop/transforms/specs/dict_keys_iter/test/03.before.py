names = {k for k in table.keys()}
