def test_names(self):
    self.assertEqual(names(), ["a", "b"])  # order matters
