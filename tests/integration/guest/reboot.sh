# Reboot instead of powering off: skiff ends with status 0 either way.
reboot -f
