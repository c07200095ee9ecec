// Files imported as text (`with { type: "text" }`) so they are embedded in the compiled binary.
declare module "*.yaml" {
  const text: string;
  export default text;
}
