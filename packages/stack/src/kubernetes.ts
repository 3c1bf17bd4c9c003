// A Kubernetes control plane on 127.0.0.1 for make k8s-test: etcd and kube-apiserver at the pinned
// versions (token auth, a self-signed serving certificate, RBAC), the Prometheus Operator's CRDs, and
// the operator itself on demand. No kubelet and no controller-manager: objects are stored and
// validated, and the operator reconciles them, but no pod ever runs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ExecResult, run } from './exec.ts';
import { freePort, ManagedProcess, waitFor } from './process.ts';
import { pinnedTool, type Tool } from './tools.ts';
import { type WorkDir, workDir } from './workdir.ts';

function tool(name: Tool): string {
  const binary = pinnedTool(name);
  if (!binary) throw new Error(`${name} is not available (scripts/ensure-tool.sh ${name})`);
  return binary;
}

/** The CRDs of the pinned operator, which scripts/ensure-tool.sh keeps beside its binary. */
export function operatorCrdDir(): string {
  return join(dirname(dirname(tool('prometheus-operator'))), 'share', 'crds');
}

export class ControlPlane {
  readonly server: string;
  readonly kubeconfig: string;
  readonly caFile: string;
  readonly tokenFile: string;
  readonly #dir: WorkDir;
  readonly #etcd: ManagedProcess;
  readonly #apiserver: ManagedProcess;
  #operator: ManagedProcess | undefined;

  private constructor(
    dir: WorkDir,
    etcd: ManagedProcess,
    apiserver: ManagedProcess,
    server: string,
    files: { kubeconfig: string; caFile: string; tokenFile: string },
  ) {
    this.#dir = dir;
    this.#etcd = etcd;
    this.#apiserver = apiserver;
    this.server = server;
    this.kubeconfig = files.kubeconfig;
    this.caFile = files.caFile;
    this.tokenFile = files.tokenFile;
  }

  get dir(): string {
    return this.#dir.path;
  }

  static async start(): Promise<ControlPlane> {
    const dir = await workDir('k8s-control-plane');
    const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
    const etcd = new ManagedProcess('etcd', tool('etcd'), [
      '--name=test',
      `--data-dir=${join(dir.path, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${clientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=test=http://127.0.0.1:${peerPort}`,
      // A throwaway store: nothing to keep across a power cut.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await etcd.waitReady(`http://127.0.0.1:${clientPort}/health`);

    const token = randomBytes(24).toString('hex');
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    writeFileSync(join(dir.path, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    writeFileSync(join(dir.path, 'sa.pub'), keys.publicKey);
    writeFileSync(join(dir.path, 'sa.key'), keys.privateKey, { mode: 0o600 });
    const certDir = join(dir.path, 'certs');
    const apiserver = new ManagedProcess('kube-apiserver', tool('kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${clientPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${securePort}`,
      // With no certificate given, it writes a self-signed one for 127.0.0.1 and localhost here.
      `--cert-dir=${certDir}`,
      `--token-auth-file=${join(dir.path, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${join(dir.path, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir.path, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--service-cluster-ip-range=10.96.0.0/16',
      // The `kubernetes` Service's endpoints would be this address, and loopback ones are invalid.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ]);
    const server = `https://127.0.0.1:${securePort}`;
    const caFile = join(certDir, 'apiserver.crt');
    const kubeconfig = join(dir.path, 'kubeconfig');
    const plane = new ControlPlane(dir, etcd, apiserver, server, { kubeconfig, caFile, tokenFile });
    try {
      await waitFor(
        'the self-signed certificate',
        () => readFileSync(caFile, 'utf8').includes('CERTIFICATE'),
        {
          timeoutMs: 60_000,
        },
      );
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caFile } }],
          users: [{ name: 'admin', user: { tokenFile } }],
          contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
          'current-context': 'test',
        }),
        { mode: 0o600 },
      );
      const exited = apiserver.exited.then((code) => {
        throw new Error(`kube-apiserver exited with code ${code}`);
      });
      await Promise.race([
        exited,
        waitFor(
          'kube-apiserver /readyz',
          async () => (await plane.kubectl(['get', '--raw=/readyz'])).code === 0 || undefined,
          { timeoutMs: 90_000, intervalMs: 500 },
        ),
      ]);
      exited.catch(() => {});
    } catch (error) {
      await plane.stop();
      throw new Error(`${String(error)}\n${apiserver.log.slice(-4000)}`);
    }
    return plane;
  }

  kubectl(args: readonly string[], timeoutMs = 60_000): Promise<ExecResult> {
    return run(tool('kubectl'), [`--kubeconfig=${this.kubeconfig}`, ...args], { timeoutMs });
  }

  /** kubectl that must succeed: its stdout, or an error carrying its stderr. */
  async kubectlOk(args: readonly string[], timeoutMs?: number): Promise<string> {
    const result = await this.kubectl(args, timeoutMs);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  /** `kubectl apply --server-side` of a YAML text (written to a file first). */
  async apply(yaml: string, extraArgs: readonly string[] = []): Promise<ExecResult> {
    const file = join(this.dir, `apply-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(file, yaml);
    return this.kubectl(['apply', '--server-side', '--field-manager=k8s-test', ...extraArgs, '-f', file]);
  }

  async installCrds(): Promise<void> {
    await this.kubectlOk(['apply', '--server-side', '-f', operatorCrdDir()], 120_000);
    await this.kubectlOk(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s'], 90_000);
  }

  /** The Prometheus Operator, talking to this API server as the admin (RBAC allows everything). */
  async startOperator(): Promise<ManagedProcess> {
    const port = await freePort();
    this.#operator = new ManagedProcess(
      'prometheus-operator',
      tool('prometheus-operator'),
      [`--web.listen-address=127.0.0.1:${port}`, '--log-level=info'],
      { ...process.env, KUBECONFIG: this.kubeconfig },
    );
    await this.#operator.waitReady(`http://127.0.0.1:${port}/healthz`, 60_000);
    return this.#operator;
  }

  get logs(): string {
    return [this.#operator, this.#apiserver, this.#etcd]
      .filter((process) => process !== undefined)
      .map((process) => `--- ${process.name}\n${process.log.slice(-3000)}`)
      .join('\n');
  }

  /** Operator, then API server, then etcd: with etcd gone first, the API server takes minutes to stop. */
  async stop(): Promise<void> {
    await this.#operator?.stop();
    await this.#apiserver.stop(10_000);
    await this.#etcd.stop();
    await this.#dir.remove();
  }
}
