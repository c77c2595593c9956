// Where the pipeline finds the faces of the face-api demo photos (x, y, w, h in image pixels), recorded with the
// 256-pixel tile pyramid (commit 18a6b71) before the small-face passes became whole-image runs: every face is the
// whole-image pass's, so the passes' change must leave each box where it was.
export const DEMO_FACE_BOXES: Record<string, [number, number, number, number][]> = {
  'sample1.jpg': [
    [419, 382, 180, 223],
    [1471, 225, 203, 205],
    [839, 435, 200, 223],
  ],
  'sample2.jpg': [
    [1448, 164, 209, 232],
    [346, 167, 182, 243],
    [882, 262, 194, 212],
  ],
  'sample3.jpg': [
    [593, 354, 207, 244],
    [1068, 243, 226, 262],
    [1461, 316, 207, 280],
  ],
  'sample4.jpg': [
    [658, 89, 191, 211],
    [1275, 182, 188, 210],
    [999, 209, 167, 223],
    [239, 235, 177, 202],
  ],
  'sample5.jpg': [
    [776, 128, 170, 204],
    [590, 449, 160, 233],
    [1118, 222, 179, 218],
    [1425, 408, 187, 289],
    [348, 904, 224, 265],
  ],
  'sample6.jpg': [
    [245, 517, 226, 241],
    [1162, 349, 206, 231],
    [1480, 296, 224, 259],
    [679, 362, 194, 269],
  ],
};
