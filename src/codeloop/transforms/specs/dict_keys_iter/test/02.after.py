found = "x" in self.options
