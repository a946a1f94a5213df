path = f"{root}/{leaf}"  # join
