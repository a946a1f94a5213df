found = "x" in self.options.keys()
