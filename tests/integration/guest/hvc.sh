# Runs with --console virtio: this output must reach the host through hvc0.
echo "HVC_TTY=$(cat /sys/class/tty/console/active)"
