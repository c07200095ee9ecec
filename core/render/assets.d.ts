// Bun's `import x from "./f.ttf" with { type: "file" }` gives the file's path (inside the compiled binary too).
declare module "*.ttf" {
  const path: string;
  export default path;
}
