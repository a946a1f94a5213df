self.assertEquals(x, 1)
self.assertTrue(y)
