// PRINT_MOUNTS: the mounts a worker sees and their free space, logged at start (as the seed
// workers print them), to tell at a glance whether /runpod-volume is there and how full the disks are.
import fs from 'node:fs';

/** File systems that hold no files of ours. */
const PSEUDO = new Set([
  'proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue', 'securityfs', 'debugfs', 'tracefs', 'pstore',
  'bpf', 'configfs', 'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'nsfs', 'rpc_pipefs', 'devtmpfs', 'selinuxfs',
]);

export interface MountInfo {
  mount: string;
  type: string;
  source: string;
  total_gb?: number;
  free_gb?: number;
}

const gb = (bytes: number) => Math.round((bytes / 2 ** 30) * 100) / 100;

/** /proc/mounts' escapes: \040 for a space and the like. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function space(p: string): { total_gb: number; free_gb: number } | undefined {
  try {
    const st = fs.statfsSync(p);
    return { total_gb: gb(st.blocks * st.bsize), free_gb: gb(st.bavail * st.bsize) };
  } catch {
    return undefined;
  }
}

/** The mounts (less pseudo file systems) with their size and free space; `paths` too, where they are. */
export function mounts(paths: string[] = [], mountsFile = '/proc/self/mounts'): { mounts: MountInfo[]; paths: Array<{ path: string; total_gb?: number; free_gb?: number; exists: boolean }> } {
  const out: MountInfo[] = [];
  let text = '';
  try {
    text = fs.readFileSync(mountsFile, 'utf8');
  } catch {
    // Not Linux: the paths alone.
  }
  for (const line of text.split('\n')) {
    const [source, mount, type] = line.split(' ');
    if (!mount || PSEUDO.has(type)) continue;
    const m = unescape(mount);
    if (out.some((o) => o.mount === m)) continue;
    out.push({ mount: m, type, source: unescape(source), ...space(m) });
  }
  return {
    mounts: out,
    paths: [...new Set(paths)].map((p) => ({ path: p, exists: fs.existsSync(p), ...space(p) })),
  };
}
