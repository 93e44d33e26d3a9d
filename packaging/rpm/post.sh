# sluice %post: log directory, /run/sluice, and make systemd see the unit (not enabled: Fedora's
# presets decide, as for every service).
install -d -o sluice -g sluice -m 0750 /var/log/sluice
if [ -x /usr/bin/systemd-tmpfiles ]; then
    systemd-tmpfiles --create sluice.conf >/dev/null 2>&1 || :
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -eq 1 ]; then systemctl preset sluice.service >/dev/null 2>&1 || :; fi
fi
exit 0
