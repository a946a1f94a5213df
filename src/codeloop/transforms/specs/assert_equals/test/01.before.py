def test_names(self):
    self.assertEquals(names(), ["a", "b"])  # order matters
