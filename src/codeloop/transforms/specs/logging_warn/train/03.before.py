log = logging.getLogger(__name__)
log.warn("slow")
log.info("ok")
