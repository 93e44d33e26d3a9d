# sluice %pre: the system user and group the service runs as.
getent group sluice >/dev/null || groupadd -r sluice
getent passwd sluice >/dev/null ||
    useradd -r -g sluice -d / -s /sbin/nologin -c "sluice connection pooler" sluice
exit 0
