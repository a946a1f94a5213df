values = [s.getData() for s in sources]
