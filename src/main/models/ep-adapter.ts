// Hardware adapter check: whether a GPU provider would run on real hardware rather than a software rasteriser.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { AdapterCheck, ExecutionProvider } from './ep-common';

// --- hardware adapter check ---
// ORT does not expose which adapter Dawn (its WebGPU) or DirectML picked, so we look at what the OS offers:
// Dawn uses Vulkan on Linux, D3D12 on Windows and Metal on macOS, and asks for the high-performance adapter.

const SOFTWARE_RASTERISER = /lvp|lavapipe|llvmpipe|swiftshader|swrast|softpipe/i;
/** DRM drivers of virtual or display-only devices: no GPU compute behind them that we trust. */
const VIRTUAL_DRM = new Set([
  'vgem',
  'vkms',
  'virtio_gpu',
  'qxl',
  'bochs',
  'bochs-drm',
  'cirrus',
  'cirrus-qemu',
]);
const NON_GPU_DRM = new Set([
  ...VIRTUAL_DRM,
  'simpledrm',
  'vboxvideo',
  'vmwgfx',
  'hyperv_drm',
  'efifb',
  'udl',
]);

function icdManifests(env: NodeJS.ProcessEnv): string[] {
  const explicit = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const entries = explicit
    ? explicit.split(':').filter(Boolean)
    : [
        '/etc/vulkan/icd.d',
        '/usr/share/vulkan/icd.d',
        '/usr/local/share/vulkan/icd.d',
        join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'vulkan', 'icd.d'),
      ];
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.endsWith('.json')) {
      if (existsSync(entry)) files.push(entry);
      continue;
    }
    try {
      for (const f of readdirSync(entry)) if (f.endsWith('.json')) files.push(join(entry, f));
    } catch {
      // A standard ICD folder that does not exist on this distribution: nothing to read there.
    }
  }
  return files;
}

function icdLibrary(file: string): string {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } };
    return json.ICD?.library_path ?? '';
  } catch {
    return '';
  }
}

function linuxGpuDevices(): string[] {
  const devices: string[] = [];
  if (existsSync('/dev/nvidia0')) devices.push('nvidia (/dev/nvidia0)');
  let nodes: string[] = [];
  try {
    nodes = readdirSync('/sys/class/drm').filter((n) => n.startsWith('renderD'));
  } catch {
    // No DRM class: a container or server without graphics devices.
  }
  for (const node of nodes) {
    try {
      const driver = basename(readlinkSync(`/sys/class/drm/${node}/device/driver`));
      if (!NON_GPU_DRM.has(driver)) devices.push(`${driver} (/dev/dri/${node})`);
    } catch {
      // A render node without a driver link is not a device we can name; skip it.
    }
  }
  return devices;
}

function checkLinux(env: NodeJS.ProcessEnv): AdapterCheck {
  const devices = linuxGpuDevices();
  const icds = icdManifests(env);
  const software = icds.filter(
    (f) => SOFTWARE_RASTERISER.test(basename(f)) || SOFTWARE_RASTERISER.test(icdLibrary(f)),
  );
  const hardware = icds.filter((f) => !software.includes(f));
  if (devices.length === 0) {
    return { hardware: false, detail: 'no GPU device (no /dev/nvidia0, no hardware DRM render node)' };
  }
  if (hardware.length === 0) {
    const seen = icds.length ? `only ${icds.map((f) => basename(f)).join(', ')}` : 'none installed';
    return { hardware: false, detail: `GPU ${devices.join(', ')} but no hardware Vulkan driver (${seen})` };
  }
  // A software ICD beside a hardware one could still be picked if the hardware driver fails to start; the
  // Vulkan loader (>= 1.3.234) skips drivers named here, so Dawn only ever sees the hardware ones.
  if (software.length && !env.VK_LOADER_DRIVERS_DISABLE) {
    env.VK_LOADER_DRIVERS_DISABLE = software.map((f) => basename(f)).join(',');
  }
  return {
    hardware: true,
    detail: `GPU ${devices.join(', ')}; Vulkan ${hardware.map((f) => basename(f)).join(', ')}`,
  };
}

function checkWindows(): AdapterCheck {
  const r = spawnSync(
    'powershell.exe',
    ['-NoProfile', '-Command', '(Get-CimInstance Win32_VideoController).Name'],
    { encoding: 'utf8', timeout: 10_000, windowsHide: true },
  );
  if (r.status !== 0)
    return { hardware: false, detail: 'could not list video controllers (powershell failed)' };
  const names = r.stdout
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  // WARP ("Microsoft Basic Render Driver") is Windows' software rasteriser; Basic Display has no GPU behind it.
  const real = names.filter((n) => !/basic render|basic display|remote display|indirect display/i.test(n));
  return real.length
    ? { hardware: true, detail: `GPU ${real.join(', ')}` }
    : { hardware: false, detail: `only software or display adapters (${names.join(', ') || 'none'})` };
}

/**
 * Whether `provider` would run on a hardware adapter. CUDA has no software implementation and Metal (macOS,
 * CoreML / WebGPU) exposes no software adapter, so only WebGPU on Linux and WebGPU / DirectML on Windows need a look.
 */
export function checkGpuAdapter(
  provider: ExecutionProvider,
  env: NodeJS.ProcessEnv = process.env,
): AdapterCheck {
  if (provider === 'cpu') return { hardware: false, detail: 'CPU' };
  if (provider === 'cuda') return { hardware: true, detail: 'CUDA runs only on NVIDIA hardware' };
  if (process.platform === 'darwin') return { hardware: true, detail: 'Metal adapters are hardware' };
  if (process.platform === 'win32') return checkWindows();
  if (process.platform === 'linux') return checkLinux(env);
  return { hardware: false, detail: `no adapter check for ${process.platform}` };
}
