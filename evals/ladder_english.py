"""Hand-written English answers (correct content) to Chinese bank questions, keyed by question id.

Used by ``make_ladder.py`` for the ``english`` rows: an English answer to a Chinese question must still score
well. Written by hand from each question's reference points (no translation model is available offline).
"""

ENGLISH_ANSWERS: dict[str, str] = {
    "sft-0bb4c44f": (
        "LoRA freezes the pretrained weights and trains only a low-rank decomposition of the weight update, "
        "two small matrices whose product is the delta. QLoRA adds 4-bit quantization of the frozen base weights, "
        "which cuts GPU memory a lot. The key hyperparameters are the rank r, where the adapters are inserted "
        "(Q/K/V projections or the FFN), LoRA alpha and dropout, regularization, and how the adapters are merged."
    ),
    "sft-6f1b94a5": (
        "Pretraining trains the model on a huge amount of general data so it learns the basic structure of "
        "language and broad world knowledge, which lays the foundation for later tasks. Fine-tuning then keeps "
        "training the pretrained model on limited task-specific data, adjusting it to fit the needs of that task."
    ),
    "sft-a1f79d42": (
        "Full-parameter fine-tuning has the highest ceiling, but it costs the most and risks catastrophic "
        "forgetting. Adapters, prefix tuning and prompt tuning are pluggable modules, good for switching quickly "
        "between many tasks. LoRA and QLoRA balance quality and cost."
    ),
    "sft-9ec31572": (
        "For lightweight instruction or style adaptation, a few thousand to tens of thousands of high-quality "
        "samples already show an effect. A significant boost of general ability needs tens of millions to hundreds "
        "of millions of samples. Quality matters more than quantity, and a human-in-the-loop, versioned data loop "
        "gives steady improvement."
    ),
    "training-b0ef96c4": (
        "A batch is a group of data samples that the model processes together in one forward pass and one "
        "backward pass during training. The batch size is the number of samples in that group. Processing data in "
        "batches improves compute efficiency, reduces memory overhead and helps training stability and convergence."
    ),
    "transformer-665dccf6": (
        "Self-attention computes the similarity between every pair of positions in the input sequence to decide "
        "which other positions the current token should attend to, and gives them different weights. Each input is "
        "projected into three vectors: query, key and value. The query is compared with the keys of all positions, "
        "and the values are summed weighted by those similarities. This lets the model dynamically focus on the "
        "context that is most useful for the current word."
    ),
    "transformer-ec554255": (
        "Multi-head attention splits Q, K and V into several subspaces and each head computes attention "
        "independently, so different heads capture different kinds of relations such as short-range dependencies, "
        "long-range dependencies and semantic links. The heads look at the sentence from several angles and their "
        "outputs are concatenated and fused, giving a more complete understanding of the input. Large models have "
        "huge parameter counts and need this strong modelling capacity; with multiple heads every position can "
        "attend to several pieces of global information at once without losing information, which is key for "
        "complex structure and long texts."
    ),
    "transformer-eea7f037": (
        "The mask prevents information from the future from leaking: in the decoder, when generating each token "
        "the model may only attend to the current and previous tokens, never to later ones. This is done by setting "
        "the attention scores of future positions to negative infinity, so after the softmax their weights are "
        "close to zero and they are ignored. Masks also handle variable-length sequences by masking out the "
        "padding, so the model only attends to real tokens."
    ),
    "position-9fc1c9bb": (
        "RoPE encodes the position of each token into the query and key with a rotation matrix, so position is "
        "built into the attention computation instead of being added to the word embedding. Absolute position "
        "encodings explicitly say this is token number one, while RoPE only cares about relative relations. For "
        "long-context inference absolute encodings break beyond the trained length, while RoPE can in principle "
        "extend further, and RoPE remembers relative positions much better."
    ),
    "inference-753cd52f": (
        "Model distillation is a compression and knowledge-transfer technique: a large pretrained teacher model "
        "passes its knowledge to a smaller student model, aiming at a compact model whose performance is close to "
        "the large one while using far less compute. Model quantization reduces the bit width of the parameters, "
        "converting 32-bit floating point (FP32) weights to low-precision formats such as 8-bit integers (INT8), "
        "which greatly lowers storage and compute cost and speeds up inference on hardware while keeping accuracy."
    ),
    "basics-13da7822": (
        "INNER JOIN returns only the rows that match the join condition in both tables; a row without a match in "
        "the other table is left out, so the result is the intersection of the two tables. LEFT JOIN, also called "
        "LEFT OUTER JOIN, returns all rows of the left table even if the right table has no matching row; for "
        "those rows the columns from the right table are NULL."
    ),
    "basics-623f87c5": (
        "GROUP BY groups the rows of the result set so that aggregate functions such as COUNT, SUM, AVG, MAX and "
        "MIN can be computed per group; it is usually used with SELECT. HAVING filters the groups after GROUP BY "
        "has grouped the records, and it is normally used with aggregate functions to state the filter condition. "
        "HAVING extends WHERE: WHERE cannot use aggregate functions, but HAVING can."
    ),
    "rag-dcb80ebc": (
        "I would split documents with a sliding window so that neighbouring chunks overlap and information is not "
        "cut apart. I would also use semantic-aware chunking, splitting by paragraph, heading and punctuation, or "
        "let an LLM preprocess the text so the chunks are more natural. After retrieval I add a reranker model to "
        "reorder the passages, which reduces noise further and improves the answers."
    ),
    "alignment-d654b7a6": (
        "SFT teaches the model what to do. A reward model learns what is better. RLHF with PPO uses the reward "
        "model as the reward signal and is expensive. DPO and ORPO need no explicit reward model and optimise "
        "directly on preference pairs, which is friendlier to engineer but depends on high-quality preference data."
    ),
}
