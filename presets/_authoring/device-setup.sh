# Device setup: install the working tree (editable) and a `latentroom` wrapper on PATH.
# Done once per shell tree: a call script that sources it and then runs others (which
# source it too) must not have two `pip install -e .` racing in the same tree.
set -e
if [ -n "${LATENTROOM_DEVICE_READY:-}" ]; then return 0; fi
python3 -m pip install -q -e . --no-deps --no-build-isolation 2>&1 | tail -2
mkdir -p /tmp/bin
printf '#!/bin/sh\nexec python3 -c "import sys; sys.argv[0]=\\"latentroom\\"; from latentroom.engine.cli import main; main()" "$@"\n' > /tmp/bin/latentroom
chmod +x /tmp/bin/latentroom
export PATH=/tmp/bin:$PATH
python3 -c "import latentroom.engine, torch; print('ok', torch.__version__, torch.cuda.get_device_name())"
export LATENTROOM_DEVICE_READY=1
