print(f"{a} + {b} = {total}")
