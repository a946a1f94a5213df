import logging
logging.warn("disk almost full")
