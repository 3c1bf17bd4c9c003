// A network namespace joined to this one by a veth pair: addresses that are not loopback, as pod
// IPs are, for servers that must be reachable from here but from nowhere else. An EndpointSlice may
// not name a 127.0.0.0/8 address, so make k8s-test runs its "pods" here. Needs root and iproute2.
import { run } from './exec.ts';

export class PodNetwork {
  readonly name: string;
  /** This side's address on the pair: servers here that the namespace must reach listen on it. */
  readonly hostIp: string;
  /** The namespace's addresses, one per "pod". */
  readonly podIps: string[];
  readonly #hostLink: string;

  private constructor(name: string, hostIp: string, podIps: string[], hostLink: string) {
    this.name = name;
    this.hostIp = hostIp;
    this.podIps = podIps;
    this.#hostLink = hostLink;
  }

  /** A namespace with `pods` addresses in 10.251.N.0/24, N from the process id (parallel runs differ). */
  static async create(pods: number): Promise<PodNetwork> {
    if (process.getuid?.() !== 0) throw new Error('a network namespace needs root');
    const id = process.pid % 100_000;
    const subnet = `10.251.${process.pid % 250}`;
    const name = `fos-pods-${id}`;
    const hostLink = `fosh${id}`;
    const podIps = Array.from({ length: pods }, (_, i) => `${subnet}.${i + 2}`);
    const network = new PodNetwork(name, `${subnet}.1`, podIps, hostLink);
    const ip = async (...args: string[]) => {
      const result = await run('ip', args);
      if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
    };
    try {
      await ip('netns', 'add', name);
      await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'pods0', 'netns', name);
      await ip('addr', 'add', `${network.hostIp}/24`, 'dev', hostLink);
      await ip('link', 'set', hostLink, 'up');
      for (const podIp of podIps)
        await ip('netns', 'exec', name, 'ip', 'addr', 'add', `${podIp}/24`, 'dev', 'pods0');
      await ip('netns', 'exec', name, 'ip', 'link', 'set', 'pods0', 'up');
      await ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    } catch (error) {
      await network.remove();
      throw error;
    }
    return network;
  }

  /** Runs a command inside: prefix it with this. */
  get launcher(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  async remove(): Promise<void> {
    await run('ip', ['link', 'del', this.#hostLink]);
    await run('ip', ['netns', 'del', this.name]);
  }
}
