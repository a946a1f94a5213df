values = [s.get_data() for s in sources]
