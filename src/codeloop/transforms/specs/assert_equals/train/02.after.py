self.assertNotEqual(a, b)
