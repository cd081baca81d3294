// Converters to and from the official microsoft/K-Adapter state dict (see src/kadapter/k-adapter-format.ts).
export { exportKAdapter, importKAdapter, type KAdapterImport } from '../methods/k-adapter/official-files.ts';
