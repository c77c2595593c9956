#!/bin/sh
# GPU-machine side of `npm run bench -- infer --prepare <dir> --with-runtime`: shows what the machine offers for
# WebGPU (GPU, Vulkan loader, drivers), then runs the bench. Usage: sh <dir>/run.sh [infer.js args, default --ep webgpu,cpu]
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
# A Vulkan loader carried in <dir>/lib (apt-get download libvulkan1) serves where libvulkan1 is not installed.
if [ -e "$DIR/lib/libvulkan.so.1" ]; then
  LD_LIBRARY_PATH="$DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L
ICDS=$(ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json 2>/dev/null)
echo "Vulkan drivers (ICD files): ${ICDS:-none}"
# NVIDIA containers without the graphics capability ship the driver library but no ICD file: point the loader at it.
if [ -z "$ICDS" ] && [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  for lib in /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 /usr/lib64/libGLX_nvidia.so.0; do
    if [ -e "$lib" ]; then
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" >"$DIR/nvidia_icd.json"
      VK_DRIVER_FILES="$DIR/nvidia_icd.json"
      VK_ICD_FILENAMES="$DIR/nvidia_icd.json"
      export VK_DRIVER_FILES VK_ICD_FILENAMES
      echo "no ICD file installed: using $lib through $DIR/nvidia_icd.json"
      break
    fi
  done
fi
command -v vulkaninfo >/dev/null 2>&1 && vulkaninfo --summary 2>&1 | grep -E 'deviceName|deviceType|driverName' || true
if [ "$#" -eq 0 ]; then set -- --ep webgpu,cpu; fi
exec node "$DIR/infer.js" --inputs "$DIR" "$@"
