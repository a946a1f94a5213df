self.assertNotEquals(a, b)
